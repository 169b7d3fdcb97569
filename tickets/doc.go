// Package tickets owns tickets and their messages: numbering, threading,
// priority and the queue order agents work in. Its collections: tickets,
// ticket messages, counters.
//
// Built by the mail-intake issue; this package currently holds only its place in
// the layout.
package tickets
