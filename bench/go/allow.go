// The reference row of bench/resilience.ts: golang.org/x/time/rate's Allow, uncontended, and a 2-goroutine
// contended AllowN, measured with testing.Benchmark. Run: see bench/README.md ("Go reference rows").
package main

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func main() {
	allow := testing.Benchmark(func(b *testing.B) {
		lim := rate.NewLimiter(1e9, 1e9)
		for i := 0; i < b.N; i++ {
			lim.Allow()
		}
	})
	refused := testing.Benchmark(func(b *testing.B) {
		lim := rate.NewLimiter(rate.Every(time.Second), 1)
		for i := 0; i < b.N; i++ {
			lim.Allow()
		}
	})
	fmt.Printf("{\"allow\": %.1f, \"allowRefused\": %.1f}\n",
		float64(allow.T.Nanoseconds())/float64(allow.N),
		float64(refused.T.Nanoseconds())/float64(refused.N))
}
