// Command saoma is the Saoma kiosk: a WeChat Pay QR point of sale.
//
//	saoma [-config FILE] [-data DIR] [-fullscreen] [-customer-display] [-locale zh|en]
//	saoma export -data DIR -date 2026-11-22 -format csv|xlsx -o FILE
//	saoma catalog -data DIR -import products.csv | -list
//	saoma seed-demo -data DIR -days N -per-day M
//
// Without a config file the kiosk runs in demo mode against an in-process
// WeChat Pay simulator and relay.
package main

import (
	"fmt"
	"os"

	_ "time/tzdata" // WeChat's times are Asia/Shanghai, even on kiosks without a zone database
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "saoma:", err)
		os.Exit(exitCode(err))
	}
}
