// Package drives finds the removable drives (USB sticks, SD cards) a shop
// can export its sales to: drive letters such as E:\ on Windows, mount
// points under /media and /run/media on Linux.
package drives
