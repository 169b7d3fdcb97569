package daemon

// BouncesRefused is turno_bounces_refused_total, for the tests.
var BouncesRefused = bouncesRefused
