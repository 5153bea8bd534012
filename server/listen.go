package server

import (
	"context"
	"net"
)

// sendBuffer caps the kernel send buffer of every accepted connection. Answers and live snapshots
// are small; without a cap, the kernel grows the buffer of a dashboard that stopped reading to
// megabytes before a write blocks, so that stalled dashboards both cost memory and take minutes
// to be noticed. With it, a dashboard that stops reading fills its buffer within seconds and the
// hub's write deadline cuts it off.
const sendBuffer = 64 << 10

// Listen opens the public listener at addr with the socket options livevote serves with.
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: limitSendBuffer}
	return lc.Listen(ctx, "tcp", addr)
}
