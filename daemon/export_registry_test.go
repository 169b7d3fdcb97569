package daemon

// NewRegistry is the registry New makes by default (Go, process and build
// info), for tests that look at what is registered in it.
var NewRegistry = newRegistry
