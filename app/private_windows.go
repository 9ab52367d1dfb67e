//go:build windows

package app

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// checkPrivate refuses a file that someone other than the current user,
// SYSTEM and Administrators can read or change: NTFS ignores Unix modes,
// so the file's owner and access list (DACL) are checked instead (see
// checkACL). A file created in %APPDATA% inherits a private access list.
func checkPrivate(path string) error {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("read the permissions of %s: %w", path, err)
	}
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return fmt.Errorf("find the current user: %w", err)
	}
	var a fileACL
	owner, _, err := sd.Owner()
	if err != nil {
		return fmt.Errorf("read the owner of %s: %w", path, err)
	}
	a.Owner = owner.String()
	dacl, _, err := sd.DACL()
	switch {
	case errors.Is(err, windows.ERROR_OBJECT_NOT_FOUND) || (err == nil && dacl == nil):
		a.NoDACL = true
	case err != nil:
		return fmt.Errorf("read the access list of %s: %w", path, err)
	default:
		for i := range uint32(dacl.AceCount) {
			var e *windows.ACCESS_ALLOWED_ACE
			if err := windows.GetAce(dacl, i, &e); err != nil {
				return fmt.Errorf("read the access list of %s: %w", path, err)
			}
			if e.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE {
				continue // deny entries only take away; object ACEs do not occur on files
			}
			sid := (*windows.SID)(unsafe.Pointer(&e.SidStart))
			a.Allow = append(a.Allow, ace{SID: sid.String(), Mask: uint32(e.Mask), Flags: e.Header.AceFlags})
		}
	}
	return checkACL(path, tu.User.Sid.String(), a)
}
