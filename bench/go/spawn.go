// The Go reference row for bench/core.ts's "spawn + join": start n goroutines that each bump a counter and
// call wg.Done, then wg.Wait — what `for (…) go(work); await allDone` does in the Node bench. Prints the
// median ns per goroutine over the samples as JSON. Run by bench/core.ts when `go` is on PATH
// (`go run bench/go/spawn.go -n 200000 -samples 7`); without Go the bench carries a reference row.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	n := flag.Int("n", 200000, "goroutines per sample")
	samples := flag.Int("samples", 7, "samples (median reported)")
	flag.Parse()
	var sink int64
	run := func() float64 {
		var wg sync.WaitGroup
		start := time.Now()
		wg.Add(*n)
		for i := 0; i < *n; i++ {
			go func() {
				atomic.AddInt64(&sink, 1)
				wg.Done()
			}()
		}
		wg.Wait()
		return float64(time.Since(start).Nanoseconds()) / float64(*n)
	}
	run() // warm-up: grows the goroutine free lists and stacks
	xs := make([]float64, *samples)
	for i := range xs {
		xs[i] = run()
	}
	sort.Float64s(xs)
	fmt.Printf("{\"spawnJoin\": %.1f, \"min\": %.1f, \"gomaxprocs\": %d}\n", xs[len(xs)/2], xs[0], runtimeProcs())
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
