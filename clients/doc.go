// Package clients owns the client registry (fichas de cliente), their contacts
// and billing data, and the validation of national tax IDs.
//
// BillingData holds the fields no invoice may be issued without (razón
// social, tax ID, giro, domicilio, comuna, ciudad). Check lists what is
// missing or invalid with a Spanish message the client can act on; billing
// holds a record with problems for the next cycle. Tax IDs are checked and
// normalised by the subpackage taxid.
package clients
