//go:build unix

package server

import "syscall"

// limitSendBuffer sets SO_SNDBUF on the listening socket; accepted connections inherit it.
func limitSendBuffer(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, sendBuffer)
	})
	if err != nil {
		return err
	}
	return serr
}
