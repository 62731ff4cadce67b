package main

import (
	"encoding/json"
	"fmt"
	"io"
)

// emitter prints results, one record a line: a JSON object with --json, else key=value
// pairs separated by spaces.
type emitter struct {
	w    io.Writer
	json bool
}

// emit prints one record. Fields keep the order given (pairs of key, value).
func (e *emitter) emit(kv ...any) error {
	if e.json {
		buf := []byte{'{'}
		for i := 0; i+1 < len(kv); i += 2 {
			if i > 0 {
				buf = append(buf, ',')
			}
			k, _ := json.Marshal(kv[i])
			v, err := json.Marshal(kv[i+1])
			if err != nil {
				return err
			}
			buf = append(buf, k...)
			buf = append(buf, ':')
			buf = append(buf, v...)
		}
		buf = append(buf, '}', '\n')
		_, err := e.w.Write(buf)
		return err
	}
	for i := 0; i+1 < len(kv); i += 2 {
		sep := " "
		if i == 0 {
			sep = ""
		}
		switch v := kv[i+1].(type) {
		case float64:
			fmt.Fprintf(e.w, "%s%s=%.6g", sep, kv[i], v)
		default:
			fmt.Fprintf(e.w, "%s%s=%v", sep, kv[i], v)
		}
	}
	_, err := fmt.Fprintln(e.w)
	return err
}

// summary prints a subcommand's summary record: "summary", cmd, then the fields of kv.
func (e *emitter) summary(cmd string, kv ...any) error {
	return e.emit(append([]any{"summary", cmd}, kv...)...)
}
