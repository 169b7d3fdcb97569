package portal

// moreMessages are the texts of files on tickets, contacts' portal access
// and over-size forms; merged over messages (a key here wins).
var moreMessages = map[string]map[string]string{
	"es": {
		"login.lead":           "Use el correo principal de su cuenta, o el suyo si le dieron acceso como contacto, y su contraseña.",
		"forgot.lead":          "Escriba el correo con el que ingresa y le enviaremos un enlace para crear una contraseña.",
		"set.lead":             "Con ella ingresará al portal junto con su correo.",
		"contact.portal":       "Acceso al portal",
		"contact.portal.col":   "Acceso al portal",
		"contact.portal.hint":  "Le enviaremos un enlace para que cree su propia contraseña. Podrá ver y abrir tickets, facturas y datos de la cuenta. Desmarque para quitarle el acceso.",
		"contact.portal.yes":   "Sí",
		"contact.portal.no":    "No",
		"contact.portal.taken": "Esta dirección ya ingresa al portal con otra cuenta; no puede tener acceso aquí también.",
		"contact.invited":      "El contacto quedó guardado y le enviamos un enlace para crear su contraseña.",
		"files.label":          "Archivos adjuntos (opcional)",
		"files.hint":           "Hasta %d archivos de %d MB cada uno y %d MB en total: PDF, imágenes (PNG, JPG, GIF), texto, CSV o documentos (DOCX, XLSX, ODT).",
		"files.attached":       "Archivos adjuntos",
		"files.error.count":    "Puede adjuntar hasta %d archivos.",
		"files.error.total":    "Los archivos suman más de %d MB. Adjunte menos o más livianos.",
		"files.error.size":     "«%s» pesa más de %d MB. Adjunte uno más liviano.",
		"files.error.type":     "«%s» no es un PDF, una imagen (PNG, JPG, GIF), un texto, un CSV ni un documento DOCX, XLSX u ODT.",
		"files.error.empty":    "«%s» está vacío.",
		"form.error.toolarge":  "El envío pesa más de %d MB y no lo recibimos. Adjunte archivos más livianos y vuelva a escribir su mensaje.",
	},
	"en": {
		"login.lead":           "Use your account's main email address, or your own if you were given access as a contact, and your password.",
		"forgot.lead":          "Enter the address you log in with and we will send you a link to create a password.",
		"set.lead":             "You will log in to the portal with it and your email address.",
		"contact.portal":       "Portal access",
		"contact.portal.col":   "Portal access",
		"contact.portal.hint":  "We will send them a link to create their own password. They will see and open tickets, invoices and the account's data. Untick to remove their access.",
		"contact.portal.yes":   "Yes",
		"contact.portal.no":    "No",
		"contact.portal.taken": "This address already logs in to the portal for another account; it cannot have access here too.",
		"contact.invited":      "The contact was saved and we sent them a link to create their password.",
		"files.label":          "Attached files (optional)",
		"files.hint":           "Up to %d files of %d MB each and %d MB in all: PDF, images (PNG, JPG, GIF), text, CSV or documents (DOCX, XLSX, ODT).",
		"files.attached":       "Attached files",
		"files.error.count":    "You can attach up to %d files.",
		"files.error.total":    "The files add up to more than %d MB. Attach fewer or smaller ones.",
		"files.error.size":     "“%s” is over %d MB. Attach a smaller one.",
		"files.error.type":     "“%s” is not a PDF, an image (PNG, JPG, GIF), text, CSV or a DOCX, XLSX or ODT document.",
		"files.error.empty":    "“%s” is empty.",
		"form.error.toolarge":  "What you sent is over %d MB and was not received. Attach smaller files and write your message again.",
	},
}

// allMessages is messages with moreMessages over it.
func allMessages() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, src := range []map[string]map[string]string{messages, moreMessages} {
		for lang, m := range src {
			if out[lang] == nil {
				out[lang] = map[string]string{}
			}
			for k, v := range m {
				out[lang][k] = v
			}
		}
	}
	return out
}
