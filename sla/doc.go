// Package sla owns service-level targets: the business calendar (a weekly
// schedule of open hours and a list of holidays in the business time zone)
// and the due times of a ticket's first response and resolution by its
// priority label.
//
// It owns no collections and reads no clock: it is pure arithmetic on
// instants. Callers (tickets, the daemon) store the due times and decide
// breaches.
//
// Business time is exact: Calendar.Add and Calendar.Between walk the open
// intervals as real instants, so a day that loses or gains an hour to
// daylight saving time counts what the clock really shows, and
// Between(s, Add(s, d)) == d for every s and every d >= 0.
package sla
