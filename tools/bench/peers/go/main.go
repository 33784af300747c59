// Benchmark peer: a compiled anchor. A plain Go line server (bufio, one
// client at a time) that answers `ping` with `pong` and any other line with
// `ack`, flushing when no more input is buffered. Same control channel as
// tools/bench/serve.mjs: prints `port <n>` once listening; on stdin, `cpu`
// prints `cpu <user+system microseconds>`; end of stdin exits.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"syscall"
)

var ping = []byte("ping")

func serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 128*1024)
	w := bufio.NewWriterSize(c, 64*1024)
	for {
		line, err := r.ReadSlice('\n')
		for err == bufio.ErrBufferFull {
			line = nil
			_, err = r.ReadSlice('\n')
		}
		if err != nil {
			w.Flush()
			return
		}
		line = bytes.TrimRight(line, "\r\n")
		if bytes.Equal(line, ping) {
			w.WriteString("pong\n")
		} else {
			w.WriteString("ack\n")
		}
		if r.Buffered() == 0 {
			if w.Flush() != nil {
				return
			}
		}
	}
}

func control() {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "cpu" {
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			us := (ru.Utime.Sec+ru.Stime.Sec)*1000000 + int64(ru.Utime.Usec+ru.Stime.Usec)
			fmt.Printf("cpu %d\n", us)
		}
	}
	os.Exit(0)
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("port %d\n", ln.Addr().(*net.TCPAddr).Port)
	go control()
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		serve(c)
	}
}
