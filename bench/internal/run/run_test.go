package run

import "testing"

func TestParseLimits(t *testing.T) {
	const limits = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                20000                files
`
	if n, err := parseLimits(limits); err != nil || n != 20000 {
		t.Fatalf("%d %v", n, err)
	}
	if n, err := parseLimits("Max open files            unlimited            unlimited            files\n"); err != nil || n < 1<<20 {
		t.Fatalf("unlimited: %d %v", n, err)
	}
	if _, err := parseLimits("Max cpu time 1 1 seconds\n"); err == nil {
		t.Fatal("no open-files line, no error")
	}
}

func TestOpenFilesLimitOfThisProcess(t *testing.T) {
	n, err := OpenFilesLimit()
	if err != nil || n < 64 {
		t.Fatalf("%d %v", n, err)
	}
}

func TestBar(t *testing.T) {
	if got := bar(5, 10); got != "[###############...............]" {
		t.Fatalf("half: %s", got)
	}
	if got := bar(20, 10); got != "[##############################]" {
		t.Fatalf("over: %s", got)
	}
}
