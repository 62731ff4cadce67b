package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/interflow/flowbench/internal/quote"
)

// emitter prints results, one record a line: a JSON object with --json, else key=value
// pairs separated by spaces, a string that holds a newline, a control or escape character
// quoted (quote.Name), so that no value can forge a line. Every number printed is finite:
// a record with a NaN or infinite value is refused with an error naming its field, and
// nothing of it is printed.
type emitter struct {
	w    io.Writer
	json bool
}

// emit prints one record. Fields keep the order given (pairs of key, value).
func (e *emitter) emit(kv ...any) error {
	for i := 1; i < len(kv); i += 2 {
		if v, ok := kv[i].(float64); ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			return fmt.Errorf("%v %v: %s is %v, not a finite number", kv[0], kv[1], kv[i-1], v)
		}
	}
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
		case string:
			if quote.Line(v) != v {
				v = quote.Name(v)
			}
			fmt.Fprintf(e.w, "%s%s=%s", sep, kv[i], v)
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

// addNote returns kv with the note text added: a field "note", or, when kv has one, its text
// extended by "; " and text.
func addNote(kv []any, text string) []any {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "note" {
			kv[i+1] = fmt.Sprintf("%v; %s", kv[i+1], text)
			return kv
		}
	}
	return append(kv, "note", text)
}
