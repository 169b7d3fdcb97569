// Package clients owns the client registry (fichas de cliente), their contacts
// and billing data, and the validation of national tax IDs.
package clients
