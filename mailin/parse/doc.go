// Package parse turns one raw RFC 5322 message into a [Message]: decoded
// headers, the ticket text with its quoted history split off, a sanitised
// HTML copy, attachment metadata, a classification (normal, auto_reply,
// bounce, bulk) and, for bounces, the failed recipients.
//
// It is a pure library: no database, no logging, no I/O besides the
// reader it is given. mailin stores the raw bytes first, then calls
// [Parse]; tickets consume the Message.
//
// # Design
//
// multipart.go splits multipart bodies (adapted from go-message's
// textproto reader, but returning each part raw, so that its header is
// read here, within bounds); this package does the rest itself so that
// every step can be lenient:
//
//   - headers.go reads a header block that may have garbage, 8-bit
//     Latin-1 bytes or no header at all; words.go and params.go decode
//     RFC 2047 words (also where Outlook misplaces them, in filename=)
//     and RFC 2231 parameters (continuations, charset'lang').
//   - transfer.go undoes base64 and quoted-printable, skipping what does
//     not decode; charset.go maps every charset label we meet (ISO-8859-1
//     and ASCII are read as Windows-1252, as browsers do).
//   - parse.go walks the MIME tree; html.go, flowed.go and quote.go make
//     the ticket text; classify.go, bounce.go and tickettag.go decide
//     what the message is.
//
// No package-level charset hook is installed: go-message's
// message.CharsetReader stays untouched, because all charset decoding
// happens here.
//
// # Invariants
//
//   - Parse never panics and never fails on malformed content: it
//     recovers the best text and records what it repaired in
//     Message.Warnings. Its error is only for a failing reader or a
//     failing Options.Attachment. FuzzParse guards this.
//   - All text is valid UTF-8. Text that declares no charset (or UTF-8)
//     but is not valid UTF-8 is read as Windows-1252, so it never
//     gains U+FFFD.
//   - Attachments are streamed: each one goes through a SHA-256 hash and
//     a byte counter into Options.Attachment (or nowhere) and is never
//     held whole in memory. Only text bodies (up to 8 MiB each) and the
//     first 64 KiB of a forwarded message are buffered.
//   - Memory is bounded whatever the input: the top-level header stops at
//     1 MiB or 10,000 fields (the rest is read as body); a part header
//     over 64 KiB or 1,000 fields drops that part, skipped unread, with a
//     warning; past 1,000 parts the rest is skipped and multiparts nested
//     deeper than 20 are skipped, with warnings. Nothing is refused: a
//     customer's mail with one absurd part still becomes a ticket, and the
//     warnings say what was left out. A 25 MB message allocates tens of
//     MiB at most (bounds_test.go measures it).
//   - Classification looks at headers and MIME structure only, never at
//     the subject or the body; precedence is bounce > auto_reply > bulk.
package parse
