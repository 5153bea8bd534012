//go:build !unix

package server

import "syscall"

// limitSendBuffer leaves the system's buffer sizes alone where SO_SNDBUF is not set the Unix way.
func limitSendBuffer(_, _ string, _ syscall.RawConn) error { return nil }
