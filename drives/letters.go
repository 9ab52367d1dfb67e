package drives

// driveRemovable is DRIVE_REMOVABLE, GetDriveTypeW's answer for USB sticks
// and card readers.
const driveRemovable = 2

// removableLetters turns GetLogicalDrives' bit mask (bit 0 is A:) into
// the roots of the drives whose type is removable, in letter order.
// driveType is GetDriveTypeW for a root such as `E:\`.
func removableLetters(mask uint32, driveType func(root string) uint32) []string {
	var roots []string
	for i := range 26 {
		if mask&(1<<i) == 0 {
			continue
		}
		root := string(rune('A'+i)) + `:\`
		if driveType(root) == driveRemovable {
			roots = append(roots, root)
		}
	}
	return roots
}
