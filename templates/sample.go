package templates

import "time"

// sampleDay returns a time at Chile's continental summer offset (UTC-3).
// Templates show it in their zone, America/Santiago for the golden files,
// which is at that offset on every sample date.
func sampleDay(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, time.FixedZone("-03", -3*60*60))
}

func sampleTicketAck() any {
	return TicketAck{
		TicketNumber:  10482,
		Subject:       "No puedo enviar correos desde Outlook",
		RequesterName: "María José Pérez",
	}
}

func sampleTicketUnderReview() any {
	return TicketUnderReview{ReceivedAt: sampleDay(2026, time.December, 2, 9, 40)}
}

func sampleTicketReply() any {
	return TicketReply{
		TicketNumber:  10482,
		Subject:       "No puedo enviar correos desde Outlook",
		RequesterName: "María José Pérez",
		Body: "Hola, María José:\n\nRevisamos su cuenta y el servidor de salida correcto es " +
			"mail.ejemplo.cl, puerto 587, con autenticación.\n\n" +
			"Si el problema continúa, respóndanos con una captura del error.",
		AgentName:  "Camila Rojas",
		Signature:  "Mesa de ayuda · Lunes a viernes, 9:00 a 18:00",
		QuotedFrom: "María José Pérez <maria.perez@cliente.cl>",
		QuotedDate: sampleDay(2026, time.November, 16, 8, 55),
		QuotedText: "Hola:\n\nDesde ayer Outlook no envía correos: dice <error 0x800CCC0F> & no sé qué hacer.\n\nGracias,\nMaría José",
	}
}

func sampleTicketUnknownSender() any {
	return TicketUnknownSender{
		TicketNumber:  10483,
		SenderAddress: "jperez.personal@gmail.com",
	}
}

func sampleTicketAttachmentTooLarge() any {
	return TicketAttachmentTooLarge{
		TicketNumber:  10484,
		Subject:       "Respaldo de la base de datos",
		RequesterName: "Rodrigo Fuentes",
		Filenames:     []string{"respaldo-2026-11.sql.gz", "video-error.mp4"},
		LimitBytes:    10 << 20,
	}
}

func sampleInvoiceIssued() any {
	return InvoiceIssued{
		Document:      "nota_de_cobro",
		InvoiceNumber: 20931,
		PeriodLabel:   "noviembre 2026",
		IssueDate:     sampleDay(2026, 11, 16, 9, 0),
		DueDate:       sampleDay(2026, 11, 30, 23, 59),
		Net:           38647,
		Tax:           7343,
		Total:         45990,
		ClientName:    "Comercial Los Andes SpA",
		TaxID:         "76.123.456-0",
		PayURL:        "https://clientes.ejemplo.cl/pagar/20931",
		Bank: &BankTransfer{Bank: "Banco del Estado de Chile", AccountType: "Cuenta corriente", AccountNumber: "00-123-45678-9",
			Holder: "Mi Proveedor SpA", HolderRUT: "76.543.210-3", ReceiptsTo: "pagos@ejemplo.cl"},
		PortalURL: "https://clientes.ejemplo.cl",
	}
}

func sampleCollectionNote() any {
	return CollectionNote{
		ClientName: "Comercial Los Andes SpA",
		Stage:      5,
		Invoices: []InvoiceLine{
			{Number: 20931, DueDate: sampleDay(2026, 11, 30, 23, 59), Balance: 45990},
			{Number: 20932, DueDate: sampleDay(2026, 11, 30, 23, 59), Balance: 12500},
		},
		Total:  58490,
		PayURL: "https://clientes.ejemplo.cl/pagar",
	}
}

func samplePaymentReceived() any {
	return PaymentReceived{
		ClientName: "Comercial Los Andes SpA",
		Amount:     58490,
		Method:     "Transferencia bancaria",
		Reference:  "OP-884120",
		Date:       sampleDay(2026, 12, 7, 11, 42),
		Invoices: []AppliedLine{
			{InvoiceNumber: 20931, Amount: 45990},
			{InvoiceNumber: 20932, Amount: 12500},
		},
		Balance: 0,
	}
}

func samplePasswordReset() any {
	return PasswordReset{
		ClientName: "Comercial Los Andes SpA",
		Access: Access{
			Login:     "contacto@losandes.cl",
			Link:      "https://clientes.ejemplo.cl/clave/7f3a9c2e",
			ExpiresAt: sampleDay(2026, 11, 17, 18, 30),
			PortalURL: "https://clientes.ejemplo.cl",
		},
	}
}

func sampleWelcome() any {
	return Welcome{
		ClientName: "Comercial Los Andes SpA",
		Access: Access{
			Login:     "contacto@losandes.cl",
			Password:  "Rq7-mT4x-Lp9w",
			PortalURL: "https://clientes.ejemplo.cl",
		},
	}
}

func sampleBillingDataRequired() any {
	return BillingDataRequired{
		ClientName: "Comercial Los Andes SpA",
		Missing: []string{
			"Falta el giro (actividad comercial).",
			"La comuna de la dirección de facturación está vacía.",
		},
		UpdateURL: "https://clientes.ejemplo.cl/facturacion",
	}
}
