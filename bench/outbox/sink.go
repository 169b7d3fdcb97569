package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// smtpSink returns the smtp-sink to send to and a function that stops it
// if this program started it.
func smtpSink() (string, func(), error) {
	if addr := os.Getenv("TURNO_TEST_SMTPSINK_ADDR"); addr != "" {
		return addr, func() {}, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("pick a port: %w", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cmd := exec.Command("/usr/sbin/smtp-sink", "-u", "nobody", addr, "1024")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start smtp-sink: %w", err)
	}
	stop := func() { _ = cmd.Process.Signal(syscall.SIGTERM); _, _ = cmd.Process.Wait() }
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return addr, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("smtp-sink not listening on %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
