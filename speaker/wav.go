package speaker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// errBadWAV is returned by decodeWAV when a WAV file is not 16-bit mono PCM or is
// malformed.
var errBadWAV = errors.New("not a 16-bit mono PCM WAV")

// WriteWAV writes pcm as a 16-bit mono PCM WAV file at SampleRate.
func WriteWAV(w io.Writer, pcm []int16) error {
	const maxSamples = (math.MaxUint32 - 36) / 2 // the RIFF size is 32 bits
	if len(pcm) > maxSamples {
		return fmt.Errorf("write wav: %d samples: too long", len(pcm))
	}
	data := 2 * len(pcm)
	b := make([]byte, 44+data)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+data))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)           // fmt chunk size
	binary.LittleEndian.PutUint16(b[20:], 1)            // PCM
	binary.LittleEndian.PutUint16(b[22:], 1)            // mono
	binary.LittleEndian.PutUint32(b[24:], SampleRate)   // sample rate
	binary.LittleEndian.PutUint32(b[28:], SampleRate*2) // byte rate
	binary.LittleEndian.PutUint16(b[32:], 2)            // block align
	binary.LittleEndian.PutUint16(b[34:], 16)           // bits per sample
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(data))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(s))
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write wav: %w", err)
	}
	return nil
}

// decodeWAV reads a 16-bit mono PCM WAV file (plain or
// WAVE_FORMAT_EXTENSIBLE), skipping chunks other than fmt and data.
func decodeWAV(b []byte) (pcm []int16, rate int, err error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%w: no RIFF/WAVE header", errBadWAV)
	}
	var haveFmt bool
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8:]
		if size < 0 || size > len(body) {
			return nil, 0, fmt.Errorf("%w: chunk %q overruns the file", errBadWAV, id)
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, 0, fmt.Errorf("%w: short fmt chunk", errBadWAV)
			}
			format := binary.LittleEndian.Uint16(body[0:])
			channels := binary.LittleEndian.Uint16(body[2:])
			bits := binary.LittleEndian.Uint16(body[14:])
			if (format != 1 && format != 0xFFFE) || channels != 1 || bits != 16 {
				return nil, 0, fmt.Errorf("%w: format %#x, %d channels, %d bits", errBadWAV, format, channels, bits)
			}
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, 0, fmt.Errorf("%w: data before fmt", errBadWAV)
			}
			pcm = make([]int16, size/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return pcm, rate, nil
		}
		p += 8 + size + size%2 // chunks are padded to even sizes
	}
	return nil, 0, fmt.Errorf("%w: no data chunk", errBadWAV)
}
