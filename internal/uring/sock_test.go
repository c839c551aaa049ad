package uring

import (
	"errors"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestListen: the address comes back with port 0 resolved, the socket is
// a listener with SO_REUSEPORT and TCP_NODELAY, and bad addresses fail.
func TestListen(t *testing.T) {
	for _, c := range []struct {
		name   string
		addr   string
		wantIP net.IP // nil: the wildcard stays nil
	}{
		{"ipv4_loopback", "127.0.0.1:0", net.IPv4(127, 0, 0, 1)},
		{"wildcard", ":0", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			fd, a, err := Listen(c.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer CloseFd(fd)
			if a.Port == 0 || !a.IP.Equal(c.wantIP) || (c.wantIP == nil) != (a.IP == nil) {
				t.Fatalf("bound %v, want IP %v and a port", a, c.wantIP)
			}
			for _, o := range []struct {
				name       string
				level, opt int
			}{
				{"SO_ACCEPTCONN", unix.SOL_SOCKET, unix.SO_ACCEPTCONN},
				{"SO_REUSEPORT", unix.SOL_SOCKET, unix.SO_REUSEPORT},
				{"TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY},
			} {
				if v, err := unix.GetsockoptInt(fd, o.level, o.opt); err != nil || v == 0 {
					t.Errorf("%s = %d, %v; want set", o.name, v, err)
				}
			}
			// Connections reach it over loopback.
			conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(a.Port)))
			if err != nil {
				t.Fatalf("dial the listener: %v", err)
			}
			conn.Close()
		})
	}
	for _, bad := range []string{"no-port", "127.0.0.1:notaport", "203.0.113.1:0"} {
		t.Run("rejects_"+bad, func(t *testing.T) {
			if fd, _, err := Listen(bad); err == nil {
				CloseFd(fd)
				t.Fatalf("Listen(%q) succeeded", bad)
			}
		})
	}
}

// TestListenReuseport: a second Listen on the bound port succeeds (one
// listener per ring), but a port held by a socket without SO_REUSEPORT
// is refused with EADDRINUSE.
func TestListenReuseport(t *testing.T) {
	fd, a, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer CloseFd(fd)
	fd2, a2, err := Listen(a.String())
	if err != nil {
		t.Fatalf("second listener on %v: %v", a, err)
	}
	defer CloseFd(fd2)
	if a2.Port != a.Port {
		t.Fatalf("second listener bound %v, want %v", a2, a)
	}
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if fd3, _, err := Listen(plain.Addr().String()); !errors.Is(err, unix.EADDRINUSE) {
		if err == nil {
			CloseFd(fd3)
		}
		t.Fatalf("Listen on a port held without SO_REUSEPORT: %v, want EADDRINUSE", err)
	}
}

// TestFileConn: the fd becomes a working net.Conn and the fd itself is
// closed (the conn holds a duplicate).
func TestFileConn(t *testing.T) {
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	c, err := FileConn(p[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	var buf [4]byte
	if _, err := io.ReadFull(fdReader(p[1]), buf[:]); err != nil || string(buf[:]) != "ping" {
		t.Fatalf("peer read %q, %v", buf[:], err)
	}
	if _, err := unix.Write(p[1], []byte("pong")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, buf[:]); err != nil || string(buf[:]) != "pong" {
		t.Fatalf("conn read %q, %v", buf[:], err)
	}
}

// TestFileConnNotASocket: a descriptor that is no socket is refused (and
// still closed: FileConn owns it either way).
func TestFileConnBadFD(t *testing.T) {
	if c, err := FileConn(-1); err == nil {
		c.Close()
		t.Fatal("FileConn(-1) succeeded")
	}
}

func TestFileConnNotASocket(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	if c, err := FileConn(p[0]); err == nil {
		c.Close()
		t.Fatal("FileConn of a pipe succeeded")
	}
}

type fdReader int

func (f fdReader) Read(b []byte) (int, error) { return unix.Read(int(f), b) }

// TestSocketQueries: OutQueue and SetSendBuffer work on sockets and fail
// on anything else.
func TestSocketQueries(t *testing.T) {
	lfd, la, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer CloseFd(lfd)
	client, err := net.Dial("tcp", la.String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	fd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC) // the dial completed: no wait
	if err != nil {
		t.Fatal(err)
	}
	defer CloseFd(fd)
	rfd, _ := pipe(t)
	t.Run("out_queue_acknowledged", func(t *testing.T) {
		if _, err := unix.Write(fd, []byte("x")); err != nil {
			t.Fatal(err)
		}
		var b [1]byte
		if _, err := io.ReadFull(client, b[:]); err != nil { // the peer has it
			t.Fatal(err)
		}
		// Loopback acknowledges at once, but the ACK may trail the data.
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := OutQueue(fd)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if n != 1 || time.Now().After(deadline) {
				t.Fatalf("OutQueue = %d, want 0 once acknowledged (1 before)", n)
			}
			runtime.Gosched()
		}
	})
	t.Run("out_queue_listener", func(t *testing.T) {
		if _, err := OutQueue(lfd); !errors.Is(err, unix.EINVAL) {
			t.Fatalf("OutQueue of a listener: %v, want EINVAL", err)
		}
	})
	t.Run("out_queue_not_a_socket", func(t *testing.T) {
		if _, err := OutQueue(-1); err == nil {
			t.Fatal("OutQueue(-1) succeeded")
		}
	})
	t.Run("send_buffer", func(t *testing.T) {
		if err := SetSendBuffer(fd, 64<<10); err != nil {
			t.Fatal(err)
		}
		if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF); err != nil || v != 2*64<<10 {
			t.Fatalf("SO_SNDBUF = %d, %v; want %d (the kernel doubles it)", v, err, 2*64<<10)
		}
	})
	t.Run("send_buffer_not_a_socket", func(t *testing.T) {
		if err := SetSendBuffer(rfd, 4096); !errors.Is(err, unix.ENOTSOCK) {
			t.Fatalf("SetSendBuffer on a pipe: %v, want ENOTSOCK", err)
		}
	})
}

// TestOpenFileLimit reports the soft RLIMIT_NOFILE.
func TestOpenFileLimit(t *testing.T) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	want := int(rl.Cur)
	if rl.Cur > 1<<30 {
		want = 1024
	}
	if got := OpenFileLimit(); got != want {
		t.Fatalf("OpenFileLimit() = %d, want %d", got, want)
	}
}

// TestPinThread: the calling thread ends up allowed on exactly the chosen
// CPU, the n-th of those the process may use (wrapping), and stays locked.
// Each case runs on a goroutine of its own whose thread dies with it.
func TestPinThread(t *testing.T) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	var cpus []int
	for c := range 1024 {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	for _, n := range []int{0, 1, len(cpus), len(cpus) + 1} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			type result struct {
				cpu   int
				err   error
				after unix.CPUSet
			}
			ch := make(chan result)
			go func() { // never unlocked: the pinned thread exits with the goroutine
				var res result
				res.cpu, res.err = PinThread(n)
				if res.err == nil {
					res.err = unix.SchedGetaffinity(0, &res.after)
				}
				ch <- res
			}()
			res := <-ch
			if res.err != nil {
				t.Fatal(res.err)
			}
			if want := cpus[n%len(cpus)]; res.cpu != want {
				t.Fatalf("PinThread(%d) = cpu %d, want %d", n, res.cpu, want)
			}
			if res.after.Count() != 1 || !res.after.IsSet(res.cpu) {
				t.Fatalf("thread affinity after pinning: %d CPUs, cpu %d set: %v", res.after.Count(), res.cpu, res.after.IsSet(res.cpu))
			}
		})
	}
}

// TestProbe: on this kernel the probe passes and picks MSG_RING wake-ups;
// the kill switch turns it off with ErrDisabled, in words.
func TestProbe(t *testing.T) {
	f, err := Probe()
	if err != nil {
		t.Fatalf("io_uring is required: %v", err)
	}
	if f.Kernel == "" || !f.MsgRingWake() {
		t.Fatalf("features %+v: want a kernel release and MSG_RING wake-ups (6.13+)", f)
	}
	for _, c := range []struct {
		value    string
		disabled bool
	}{{"1", true}, {"yes", true}, {"0", false}, {"", false}} {
		t.Run("kill_switch_"+strconv.Quote(c.value), func(t *testing.T) {
			t.Setenv(KillSwitch, c.value)
			_, err := doProbe()
			if got := errors.Is(err, ErrDisabled); got != c.disabled {
				t.Fatalf("%s=%q: probe error %v, want disabled=%v", KillSwitch, c.value, err, c.disabled)
			}
			if err != nil && c.disabled && !strings.Contains(err.Error(), KillSwitch+"="+c.value) {
				t.Fatalf("error %q does not name the switch", err)
			}
		})
	}
}
