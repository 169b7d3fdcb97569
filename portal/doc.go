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
//	GET  /portal/login            log in with the principal address (or a contact's with access) and password
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
//	POST /portal/contactos        add a technical or billing contact (and its "Acceso al portal")
//	GET  /portal/contactos/{id}   the edit form of one contact (id: clients.ContactID)
//	POST /portal/contactos/{id}   save it; POST …/{id}/eliminar removes it
//	GET  /portal/facturas         Facturas: unpaid and paid invoices, the total owed
//	GET  /portal/facturas/N.pdf   invoice N's PDF (billing renders it), as an attachment
//	GET  /portal/facturas/N-dte.pdf  its tax document's PDF (billing.DTEDocumentOf), when the issuer answered
//	GET  /portal/pago             Reportar pago: the unpaid invoices as checkboxes and the report's fields
//	POST /portal/pago             tickets.OpenPaymentReport (multipart: the receipt), then the ticket
//	GET  /portal/tickets          the client's tickets (tickets.ClientTickets)
//	GET  /portal/tickets/nuevo    the form to open one; POST /portal/tickets opens it (multipart: files)
//	GET  /portal/tickets/{n}      one ticket and its public messages (and the payment report it holds); POST replies
//	GET  /portal/tickets/{n}/archivos/{m}/{i}  file i of public message m, as an attachment
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
// the owner once per lock window (template login_locked with a fresh
// set-password link: Registry.LoginLocked, ContactLoginLocked). Setting a
// password ends every other session of the client and clears the lockout.
//
// A contact may have portal access of their own (Contactos, "Acceso al
// portal"; clients.GrantContactAccess mails them their own set-password
// link, ?contact=…&token=…). They log in with their address; the session
// (subject kind "contact", id clients.ContactAccessID) acts for the
// client, and what they write (tickets, replies, payment reports) is
// From them. Every request of a contact session reads the access and the
// client by _id: a removed access or contact ends it, and the portal also
// ends their sessions everywhere when it removes either.
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
// attachment and nosniff, only to the ticket's client.
//
// Files on tickets and replies (the "files" field, several) are judged by
// package tickets (CustomerRequest.Files: by their bytes PDF, PNG, JPEG,
// GIF, text, CSV, DOCX, XLSX, ODT; at most 5, 5 MB each, 10 MB in all)
// and stored as the MIME message the request stands for, once by hash in
// the same raw store, so agents download them in the console as they do
// a mail's. Customers download them from the thread (ClientFile, scoped to
// the client). Forms may be up to 12 MB (web.Options.MaxForm); a bigger
// one gets its form again with the error beside the file field
// (web.Options.TooLarge; what was typed is lost with the body).
//
// # Scope and what is left out
//
// Every page reads the client ID from the session; a contact, invoice, PDF
// or ticket of another client answers 404 like one that does not exist
// (the domain methods take the client ID and return their not-found
// error). Customers write tickets and replies as the client's principal
// address, or as the contact who signed in. Mis datos does not change the
// principal address (the login).
package portal
