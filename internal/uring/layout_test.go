package uring

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// header is the machine's kernel UAPI header, the authority on layouts.
const header = "/usr/include/linux/io_uring.h"

// cLayout asks the C compiler for sizes and offsets in header. Fields that
// newer headers renamed (buf_reg.pad → flags, getevents_arg.pad →
// min_wait_usec) are located by their predecessor.
const cLayout = `#include <stdio.h>
#include <stddef.h>
#include <linux/io_uring.h>
#define S(t) printf(#t " %zu\n", sizeof(struct t));
#define O(t, f) printf(#t "." #f " %zu\n", offsetof(struct t, f));
int main(void) {
  S(io_uring_params) O(io_uring_params, flags) O(io_uring_params, features) O(io_uring_params, sq_off) O(io_uring_params, cq_off)
  S(io_sqring_offsets) O(io_sqring_offsets, head) O(io_sqring_offsets, tail) O(io_sqring_offsets, ring_mask) O(io_sqring_offsets, flags) O(io_sqring_offsets, array)
  S(io_cqring_offsets) O(io_cqring_offsets, head) O(io_cqring_offsets, tail) O(io_cqring_offsets, ring_mask) O(io_cqring_offsets, overflow) O(io_cqring_offsets, cqes)
  S(io_uring_sqe) O(io_uring_sqe, opcode) O(io_uring_sqe, flags) O(io_uring_sqe, ioprio) O(io_uring_sqe, fd) O(io_uring_sqe, off) O(io_uring_sqe, addr)
  O(io_uring_sqe, len) O(io_uring_sqe, msg_flags) O(io_uring_sqe, user_data) O(io_uring_sqe, buf_group) O(io_uring_sqe, personality) O(io_uring_sqe, file_index) O(io_uring_sqe, addr3)
  S(io_uring_cqe) O(io_uring_cqe, user_data) O(io_uring_cqe, res) O(io_uring_cqe, flags)
  S(io_uring_buf) O(io_uring_buf, addr) O(io_uring_buf, len) O(io_uring_buf, bid) O(io_uring_buf, resv)
  S(io_uring_buf_reg) O(io_uring_buf_reg, ring_addr) O(io_uring_buf_reg, ring_entries) O(io_uring_buf_reg, bgid)
  S(io_uring_getevents_arg) O(io_uring_getevents_arg, sigmask) O(io_uring_getevents_arg, sigmask_sz) O(io_uring_getevents_arg, ts)
  printf("io_uring_probe_op %zu\n", sizeof(struct io_uring_probe_op)); printf("io_uring_probe %zu\n", sizeof(struct io_uring_probe));
  return 0;
}
`

// TestLayoutsMatchHeader compiles cLayout against the machine's header and
// compares every size and offset with the Go structs.
func TestLayoutsMatchHeader(t *testing.T) {
	if _, err := os.Stat(header); err != nil {
		t.Fatalf("%s is absent (.ci/deps installs linux-libc-dev): %v", header, err)
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Fatalf("no C compiler to read %s with (.ci/deps installs gcc): %v", header, err)
	}
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "layout.c"), filepath.Join(dir, "layout")
	if err := os.WriteFile(src, []byte(cLayout), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("cannot compile the layout probe: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	c := map[string]uintptr{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		n, _ := strconv.Atoi(f[1])
		c[f[0]] = uintptr(n)
	}
	var (
		p  Params
		sq SQRingOffsets
		cq CQRingOffsets
		e  SQE
		ce CQE
		b  bufEntry
		r  bufReg
		g  geteventsArg
		pr probe
	)
	want := map[string]uintptr{
		"io_uring_params": unsafe.Sizeof(p), "io_uring_params.flags": unsafe.Offsetof(p.Flags), "io_uring_params.features": unsafe.Offsetof(p.Features),
		"io_uring_params.sq_off": unsafe.Offsetof(p.SQOff), "io_uring_params.cq_off": unsafe.Offsetof(p.CQOff),
		"io_sqring_offsets": unsafe.Sizeof(sq), "io_sqring_offsets.head": unsafe.Offsetof(sq.Head), "io_sqring_offsets.tail": unsafe.Offsetof(sq.Tail),
		"io_sqring_offsets.ring_mask": unsafe.Offsetof(sq.RingMask), "io_sqring_offsets.flags": unsafe.Offsetof(sq.Flags), "io_sqring_offsets.array": unsafe.Offsetof(sq.Array),
		"io_cqring_offsets": unsafe.Sizeof(cq), "io_cqring_offsets.head": unsafe.Offsetof(cq.Head), "io_cqring_offsets.tail": unsafe.Offsetof(cq.Tail),
		"io_cqring_offsets.ring_mask": unsafe.Offsetof(cq.RingMask), "io_cqring_offsets.overflow": unsafe.Offsetof(cq.Overflow), "io_cqring_offsets.cqes": unsafe.Offsetof(cq.CQEs),
		"io_uring_sqe": unsafe.Sizeof(e), "io_uring_sqe.opcode": unsafe.Offsetof(e.Opcode), "io_uring_sqe.flags": unsafe.Offsetof(e.Flags),
		"io_uring_sqe.ioprio": unsafe.Offsetof(e.Ioprio), "io_uring_sqe.fd": unsafe.Offsetof(e.Fd), "io_uring_sqe.off": unsafe.Offsetof(e.Off),
		"io_uring_sqe.addr": unsafe.Offsetof(e.Addr), "io_uring_sqe.len": unsafe.Offsetof(e.Len), "io_uring_sqe.msg_flags": unsafe.Offsetof(e.OpFlags),
		"io_uring_sqe.user_data": unsafe.Offsetof(e.UserData), "io_uring_sqe.buf_group": unsafe.Offsetof(e.BufIndex),
		"io_uring_sqe.personality": unsafe.Offsetof(e.Personality), "io_uring_sqe.file_index": unsafe.Offsetof(e.FileIndex), "io_uring_sqe.addr3": unsafe.Offsetof(e.Addr3),
		"io_uring_cqe": unsafe.Sizeof(ce), "io_uring_cqe.user_data": unsafe.Offsetof(ce.UserData), "io_uring_cqe.res": unsafe.Offsetof(ce.Res), "io_uring_cqe.flags": unsafe.Offsetof(ce.Flags),
		"io_uring_buf": unsafe.Sizeof(b), "io_uring_buf.addr": unsafe.Offsetof(b.Addr), "io_uring_buf.len": unsafe.Offsetof(b.Len),
		"io_uring_buf.bid": unsafe.Offsetof(b.Bid), "io_uring_buf.resv": unsafe.Offsetof(b.Resv),
		"io_uring_buf_reg": unsafe.Sizeof(r), "io_uring_buf_reg.ring_addr": unsafe.Offsetof(r.RingAddr), "io_uring_buf_reg.ring_entries": unsafe.Offsetof(r.RingEntries),
		"io_uring_buf_reg.bgid":  unsafe.Offsetof(r.Bgid),
		"io_uring_getevents_arg": unsafe.Sizeof(g), "io_uring_getevents_arg.sigmask": unsafe.Offsetof(g.Sigmask),
		"io_uring_getevents_arg.sigmask_sz": unsafe.Offsetof(g.SigmaskSz), "io_uring_getevents_arg.ts": unsafe.Offsetof(g.Ts),
		"io_uring_probe_op": unsafe.Sizeof(pr.Ops[0]), "io_uring_probe": unsafe.Offsetof(pr.Ops),
	}
	for k, v := range want {
		got, ok := c[k]
		if !ok {
			t.Errorf("%s: not reported by the C probe", k)
		} else if got != v {
			t.Errorf("%s: header says %d, Go has %d", k, got, v)
		}
	}
	// Renamed fields sit right after their predecessors.
	if unsafe.Offsetof(r.Flags) != c["io_uring_buf_reg.bgid"]+2 || unsafe.Offsetof(g.MinWaitUsec) != c["io_uring_getevents_arg.sigmask_sz"]+4 {
		t.Error("buf_reg.flags or getevents_arg.min_wait_usec misplaced")
	}
}
