// Package payreport reads a payment report out of a customer's mail: the
// amount (whole pesos, in the Chilean ways of writing it: $45.990,
// 45990, 45.990 pesos, $ 45.990.-, CLP 45.990, $45.990,00), the date
// of the payment (15/03/2026, 15-03-2026, 15 de marzo de 2026,
// 2026-03-15), the operation number (N° de operación, número de
// transferencia, comprobante N°, ID de transacción, código de
// autorización…), the bank (the main Chilean banks by their usual names),
// the method (transferencia, depósito, webpay, efectivo, cheque, or a
// wallet: MercadoPago, Tenpo, MACH) and the invoices the text names
// (factura 1234, nota de cobro N° 77, boleta 55).
//
// It is a pure library like its parent: no database, no I/O. Read takes
// the subject, the text (the customer's words and anything forwarded),
// the quoted history (a receipt forwarded from Outlook ends up there) and
// the attachments' file names; FromMessage takes a parsed mail.
//
// # What counts as a report (the evidence rule)
//
// A mail is a payment report, and Read returns non-nil, only when both
// hold:
//
//  1. an amount is found in a money context: a number written with $ or
//     CLP before it, or "pesos"/CLP after it, or a bare number right after
//     a label such as Monto, Total, Importe, Valor or Abono. A number
//     that is a RUT (12.345.678-5), a phone (+56 9 …), a date, an
//     account, an operation or an invoice number is never an amount,
//     because only those contexts make one; and
//  2. there is a sign that a payment was made: an operation number, a
//     past-tense payment phrase (transferí, depositamos, realicé el pago,
//     pago realizado, transferencia exitosa, adjunto comprobante…), or a
//     receipt-like attachment name (comprobante, transferencia, voucher,
//     recibo, pago).
//
// A question about how much is owed or how to pay ("¿puedo pagar $45.990
// por transferencia?") has an amount but no sign of a payment made, so it
// is not a report. Fields not found are nil; the reader never guesses.
//
// Several amounts: the one on a line labelled as the amount paid wins
// (Monto transferido, Total pagado…), then the first one written with a
// money sign; lines about balances, fees or limits (saldo, comisión, cupo)
// are ignored. Several banks: the origin's wins over the destination's
// (the customer's bank, not the provider's account).
package payreport
