// Package billing owns contracts, invoices, collection notes and payments.
//
// Built by the billing issue; this package currently holds only its place in
// the layout.
package billing
