// Package portal is the customers' web pages under /portal/ on the HTTP
// listener: a thin layer over packages clients, billing and tickets, on
// package web's shared sessions, CSRF protection, headers, templates and
// rate limits. It reads and writes no collection itself but the raw
// store's uploads (see Uploads): every fact comes from a domain package's
// methods, and every read is scoped to the session's client (the client
// ID comes from the session, never from the URL or a form).
//
// # Pages
//
//	GET  /portal/                 → Mis datos when logged in, else the login page
//	GET  /portal/login            log in with the principal address and password
//	POST /portal/login
//	GET  /portal/forgot           ask for a set-password link by mail
//	POST /portal/forgot           the same answer whether or not the address exists
//	GET  <set-password path>      the password mail's link (?client=…&token=…)
//	POST <set-password path>      choose a password (spends the link's token)
//	POST /portal/logout           end this session
//	POST /portal/logout-all       end every session of this client, everywhere
//	GET  /portal/datos            Mis datos: the client record and billing data as a form
//	POST /portal/datos            save (clients.UpdateCustomerData); complete data release held billing
//	GET  /portal/contactos        Contactos: list and the add form
//	POST /portal/contactos        add a technical or billing contact
//	GET  /portal/contactos/{id}   the edit form of one contact (id: clients.ContactID)
//	POST /portal/contactos/{id}   save it; POST …/{id}/eliminar removes it
//	GET  /portal/facturas         Facturas: unpaid and paid invoices, the total owed
//	GET  /portal/facturas/N.pdf   invoice N's PDF (billing renders it), as an attachment
//	GET  /portal/facturas/N-dte.pdf  its tax document's PDF (billing.DTEDocumentOf), when the issuer answered
//	GET  /portal/pago             Reportar pago: the unpaid invoices as checkboxes and the report's fields
//	POST /portal/pago             tickets.OpenPaymentReport (multipart: the receipt), then the ticket
//	GET  /portal/tickets          the client's tickets (tickets.ClientTickets)
//	GET  /portal/tickets/nuevo    the form to open one; POST /portal/tickets opens it
//	GET  /portal/tickets/{n}      one ticket and its public messages (and the payment report it holds); POST replies
//	GET  /portal/tickets/{n}/comprobante  that report's receipt, as an attachment
//	GET  /portal/static/…         the stylesheet
//
// The set-password path is the one `[access] portal_url` makes the mail
// point to: the URL's path + "/set-password" (clients.AccessOptions). With
// portal_url ending in /portal that is /portal/set-password; with another
// path (the default portal_url has none: /set-password) the page is also
// served at exactly that path (Options.SetPasswordPath).
//
// # Access
//
// The password mechanism is package clients': argon2id hashes in
// client_access, the single-use set-password token that `turno clients
// password` mails (Registry.Password), redeemed here by
// Registry.SetPasswordWithToken. Forgot password calls Registry.Password
// (the same mail), at most web.ForgotLimit times an hour per address.
// Twenty failed logins lock the address for the rest of the hour and mail
// the owner once (Lockout: a fresh set-password link through the same
// password mail, whose text asks them to tell support if they did not ask
// for it). Setting a password ends every other session of the client and
// clears the lockout.
//
// # Uploads
//
// A payment receipt is checked by its bytes (http.DetectContentType: a
// PDF, JPEG or PNG, whatever its name or claimed type) and its size
// (MaxUpload, 5 MB); a bad one is an error beside the field and nothing is
// stored or opened. An accepted one is stored once per SHA-256 in the
// intake's raw store (mailin.RawStore, the mail_raw bucket; the portal's
// only write outside the domain services), and tickets.Receipt.Ref is that
// hash. It is served back with its checked type, Content-Disposition
// attachment and nosniff, only to the ticket's client. Forms may be up to
// 8 MB (web.Options.MaxForm).
//
// # Scope and what is left out
//
// Every page reads the client ID from the session; a contact, invoice, PDF
// or ticket of another client answers 404 like one that does not exist
// (the domain methods take the client ID and return their not-found
// error). Customers write tickets and replies as the client's principal
// address. Mis datos does not change the principal address (the login);
// contacts get no portal access of their own yet (clients.LoginClient
// knows principal addresses only); tickets take no attachments yet (only
// the payment report's receipt).
package portal
