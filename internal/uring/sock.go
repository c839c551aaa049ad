package uring

import (
	"fmt"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// Listen opens a TCP listening socket on addr with SO_REUSEPORT, so that
// each ring can have its own on the same address (the kernel spreads
// connections over them). It returns the fd and the bound address (port 0
// resolved: bind the next ones to it).
func Listen(addr string) (int, *net.TCPAddr, error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return -1, nil, err
	}
	family, sa := unix.AF_INET6, unix.Sockaddr(&unix.SockaddrInet6{Port: ta.Port})
	if ip4 := ta.IP.To4(); ip4 != nil {
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Port: ta.Port, Addr: [4]byte(ip4)}
	} else if ta.IP != nil {
		sa.(*unix.SockaddrInet6).Addr = [16]byte(ta.IP.To16())
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, nil, fmt.Errorf("uring: socket: %w", err)
	}
	fail := func(what string, err error) (int, *net.TCPAddr, error) {
		unix.Close(fd)
		return -1, nil, fmt.Errorf("uring: %s %s: %w", what, addr, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("SO_REUSEADDR", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return fail("SO_REUSEPORT", err)
	}
	// Accepted sockets inherit TCP_NODELAY from the listener (Linux clones
	// it): no Nagle delay on small frames, as Go sets on its own conns.
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return fail("TCP_NODELAY", err)
	}
	if family == unix.AF_INET6 && ta.IP == nil {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if err := unix.Listen(fd, 4096); err != nil {
		return fail("listen", err)
	}
	bound, err := unix.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	out := &net.TCPAddr{}
	switch b := bound.(type) {
	case *unix.SockaddrInet4:
		out.IP, out.Port = net.IP(b.Addr[:]).To16(), b.Port
	case *unix.SockaddrInet6:
		out.IP, out.Port = net.IP(b.Addr[:]), b.Port
	}
	if ta.IP == nil {
		out.IP = nil
	}
	return fd, out, nil
}

// CloseFd closes a descriptor the ring layer handed out (listener, or a
// connection's fd when no ring is left to close it).
func CloseFd(fd int) { _ = unix.Close(fd) }

// PinThread locks the calling goroutine to its OS thread and then (in that
// order: the affinity is the thread's) restricts the thread to the n-th CPU
// the process may run on. It returns the CPU. The thread stays locked.
func PinThread(n int) (int, error) {
	runtime.LockOSThread()
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return -1, fmt.Errorf("uring: sched_getaffinity: %w", err)
	}
	var cpus []int
	for c := range 1024 {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) == 0 {
		return -1, nil
	}
	cpu := cpus[n%len(cpus)]
	var one unix.CPUSet
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		return -1, fmt.Errorf("uring: sched_setaffinity cpu %d: %w", cpu, err)
	}
	return cpu, nil
}

// OpenFileLimit is the process's soft RLIMIT_NOFILE (every connection is a
// descriptor; never assume more).
func OpenFileLimit() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 1024
	}
	return int(rl.Cur)
}

// FileConn turns a connected socket fd the ring no longer uses into a
// net.Conn on Go's netpoller (for handing plain HTTP requests to net/http).
// fd is closed; the net.Conn holds a duplicate.
func FileConn(fd int) (net.Conn, error) {
	if fd < 0 {
		return nil, fmt.Errorf("uring: FileConn of fd %d", fd)
	}
	f := os.NewFile(uintptr(fd), "ring-conn")
	defer f.Close()
	return net.FileConn(f)
}

// OutQueue is how many bytes socket fd holds that its peer has not
// acknowledged (SIOCOUTQ): how far a client that stopped reading is behind,
// beyond what its own receive buffer took. It makes no allocation.
func OutQueue(fd int) (int, error) { return unix.IoctlGetInt(fd, unix.SIOCOUTQ) }

// SetSendBuffer sets socket fd's SO_SNDBUF to n bytes (the kernel doubles
// it for its bookkeeping, and stops autotuning it). Sockets accepted from a
// listener inherit the listener's.
func SetSendBuffer(fd, n int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, n); err != nil {
		return fmt.Errorf("uring: SO_SNDBUF: %w", err)
	}
	return nil
}
