//go:build windows

package printer

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Win32 error codes the spooler returns that Spooler explains.
const (
	errorInvalidPrinterName windows.Errno = 1801 // ERROR_INVALID_PRINTER_NAME
	errorInvalidDatatype    windows.Errno = 1804 // ERROR_INVALID_DATATYPE
)

// EnumPrinters flags and the PRINTER_INFO_4 level.
const (
	printerEnumLocal       = 0x00000002
	printerEnumConnections = 0x00000004
	printerInfoLevel4      = 4
)

// winspool holds the spooler's entry points in winspool.drv, loaded on
// first call.
type winspool struct {
	openPrinter, closePrinter                   *windows.LazyProc
	startDoc, endDoc, abort, startPage, endPage *windows.LazyProc
	writePrinter, enumPrinters                  *windows.LazyProc
}

func loadWinspool() winspool {
	dll := windows.NewLazySystemDLL("winspool.drv")
	return winspool{
		openPrinter:  dll.NewProc("OpenPrinterW"),
		closePrinter: dll.NewProc("ClosePrinter"),
		startDoc:     dll.NewProc("StartDocPrinterW"),
		endDoc:       dll.NewProc("EndDocPrinter"),
		abort:        dll.NewProc("AbortPrinter"),
		startPage:    dll.NewProc("StartPagePrinter"),
		endPage:      dll.NewProc("EndPagePrinter"),
		writePrinter: dll.NewProc("WritePrinter"),
		enumPrinters: dll.NewProc("EnumPrintersW"),
	}
}

// docInfo1 is DOC_INFO_1W.
type docInfo1 struct {
	docName, outputFile, datatype *uint16
}

// printerInfo4 is PRINTER_INFO_4W.
type printerInfo4 struct {
	printerName, serverName *uint16
	attributes              uint32
}

// winPrinter is an open printer handle.
type winPrinter struct {
	api winspool
	h   windows.Handle
	doc bool // a document is started
}

// winCall runs a BOOL-returning entry point and turns FALSE into its error.
func winCall(p *windows.LazyProc, args ...uintptr) error {
	if err := p.Find(); err != nil {
		return err
	}
	r, _, err := p.Call(args...)
	if r == 0 {
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	return nil
}

func openSystemSpooler(name string) (spoolConn, error) {
	api := loadWinspool()
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, err
	}
	var h windows.Handle
	if err := winCall(api.openPrinter, uintptr(unsafe.Pointer(n)), uintptr(unsafe.Pointer(&h)), 0); err != nil {
		if errors.Is(err, errorInvalidPrinterName) {
			return nil, fmt.Errorf("%w: %w", errUnknownPrinter, err)
		}
		return nil, err
	}
	return &winPrinter{api: api, h: h}, nil
}

func (w *winPrinter) startDoc(name string) error {
	dn, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return err
	}
	raw, _ := windows.UTF16PtrFromString("RAW")
	di := docInfo1{docName: dn, datatype: raw}
	if err := winCall(w.api.startDoc, uintptr(w.h), 1, uintptr(unsafe.Pointer(&di))); err != nil {
		if errors.Is(err, errorInvalidDatatype) {
			return fmt.Errorf("%w: %w", errNotRaw, err)
		}
		return err
	}
	w.doc = true
	if err := winCall(w.api.startPage, uintptr(w.h)); err != nil {
		_ = w.abort()
		return err
	}
	return nil
}

func (w *winPrinter) write(p []byte) (int, error) {
	var n uint32
	if err := winCall(w.api.writePrinter, uintptr(w.h), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), uintptr(unsafe.Pointer(&n))); err != nil {
		return int(n), err
	}
	return int(n), nil
}

func (w *winPrinter) endDoc() error {
	if err := winCall(w.api.endPage, uintptr(w.h)); err != nil {
		_ = w.abort()
		return err
	}
	w.doc = false
	return winCall(w.api.endDoc, uintptr(w.h))
}

func (w *winPrinter) abort() error {
	if !w.doc {
		return nil
	}
	w.doc = false
	return winCall(w.api.abort, uintptr(w.h))
}

func (w *winPrinter) close() error {
	return winCall(w.api.closePrinter, uintptr(w.h))
}

// Printers lists the names of the printers installed on this computer and
// the network printers connected to it, for choosing one by name.
func Printers() ([]string, error) {
	api := loadWinspool()
	if err := api.enumPrinters.Find(); err != nil {
		return nil, err
	}
	flags := uintptr(printerEnumLocal | printerEnumConnections)
	var needed, count uint32
	// The first call asks how big the buffer must be.
	api.enumPrinters.Call(flags, 0, printerInfoLevel4, 0, 0, uintptr(unsafe.Pointer(&needed)), uintptr(unsafe.Pointer(&count)))
	if needed == 0 {
		return nil, nil
	}
	buf := make([]byte, needed)
	if err := winCall(api.enumPrinters, flags, 0, printerInfoLevel4, uintptr(unsafe.Pointer(&buf[0])), uintptr(needed),
		uintptr(unsafe.Pointer(&needed)), uintptr(unsafe.Pointer(&count))); err != nil {
		return nil, err
	}
	infos := unsafe.Slice((*printerInfo4)(unsafe.Pointer(&buf[0])), count)
	names := make([]string, 0, count)
	for _, in := range infos {
		names = append(names, windows.UTF16PtrToString(in.printerName))
	}
	return names, nil
}
