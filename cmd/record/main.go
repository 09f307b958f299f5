// Command record runs the teacher continuing-education record service.
//
//	record serve [--create-db] [--demo]   HTTP API, projections
//	record migrate                        apply database migrations
//	record create-admin --login L --name N [--password P]   first province admin
//	record demo                           load demo data (empty store only)
//	record rebuild [--projection NAME]    rebuild read models blue/green (service may run)
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		os.Exit(1)
	}
}
