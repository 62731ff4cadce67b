// Package emit prints a command's results for the CLI, one record a line: a JSON object, or
// key=value pairs. It knows nothing of the commands; it imports only the standard library and
// internal/quote.
package emit

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/interflow/flowbench/internal/quote"
)

// Printer prints results, one record a line: a JSON object with --json, else key=value
// pairs separated by spaces, a string that holds a newline, a control or escape character
// quoted (quote.Name), so that no value can forge a line. Every number printed is finite:
// a record with a NaN or infinite value is refused with an error naming its field, and
// nothing of it is printed.
type Printer struct {
	W    io.Writer // where the records go
	JSON bool      // JSON objects instead of key=value pairs
}

// Emit prints one record. Fields keep the order given (pairs of key, value).
func (e *Printer) Emit(kv ...any) error {
	for i := 1; i < len(kv); i += 2 {
		if v, ok := kv[i].(float64); ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			return fmt.Errorf("%v %v: %s is %v, not a finite number", kv[0], kv[1], kv[i-1], v)
		}
	}
	if e.JSON {
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
		_, err := e.W.Write(buf)
		return err
	}
	for i := 0; i+1 < len(kv); i += 2 {
		sep := " "
		if i == 0 {
			sep = ""
		}
		switch v := kv[i+1].(type) {
		case float64:
			fmt.Fprintf(e.W, "%s%s=%.6g", sep, kv[i], v)
		case string:
			if quote.Line(v) != v {
				v = quote.Name(v)
			}
			fmt.Fprintf(e.W, "%s%s=%s", sep, kv[i], v)
		default:
			fmt.Fprintf(e.W, "%s%s=%v", sep, kv[i], v)
		}
	}
	_, err := fmt.Fprintln(e.W)
	return err
}

// Summary prints a subcommand's summary record: "summary", cmd, then the fields of kv.
func (e *Printer) Summary(cmd string, kv ...any) error {
	return e.Emit(append([]any{"summary", cmd}, kv...)...)
}

// AddNote returns kv with the note text added: a field "note", or, when kv has one, its text
// extended by "; " and text.
func AddNote(kv []any, text string) []any {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "note" {
			kv[i+1] = fmt.Sprintf("%v; %s", kv[i+1], text)
			return kv
		}
	}
	return append(kv, "note", text)
}
