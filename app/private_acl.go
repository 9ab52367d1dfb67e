package app

import (
	"fmt"
	"strings"
)

// Well-known SIDs a private file on Windows may grant access to besides
// its user.
const (
	sidSystem         = "S-1-5-18"     // NT AUTHORITY\SYSTEM
	sidAdministrators = "S-1-5-32-544" // BUILTIN\Administrators
	sidOwnerRights    = "S-1-3-4"      // OWNER RIGHTS: whoever owns the file
)

// Access rights that expose a file's contents or let someone change it or
// its permissions. Rights outside these (read attributes, synchronize)
// reveal nothing.
const (
	accessSensitive = 0x1 | 0x2 | 0x4 | // FILE_READ_DATA, FILE_WRITE_DATA, FILE_APPEND_DATA
		0x10000 | 0x40000 | 0x80000 | // DELETE, WRITE_DAC, WRITE_OWNER
		0x10000000 | 0x20000000 | 0x40000000 | 0x80000000 // GENERIC_ALL, _EXECUTE, _WRITE, _READ
	aceInheritOnly = 0x8 // INHERIT_ONLY_ACE: applies to children only
)

// fileACL is a file's owner and DACL, reduced to what checkACL judges.
type fileACL struct {
	Owner string // the owner's SID
	// NoDACL is true for a missing or NULL DACL, which grants everyone
	// everything.
	NoDACL bool
	Allow  []ace // the access-allowed entries; deny entries only take away
}

// ace is one access-allowed entry.
type ace struct {
	SID   string
	Mask  uint32
	Flags uint8
}

// insecureACLError says who besides the user may open a private file on
// Windows. It matches ErrInsecureConfig with errors.Is.
type insecureACLError struct {
	Path   string
	Others []string // SIDs, or "Everyone (no DACL)"
}

func (e *insecureACLError) Error() string {
	return fmt.Sprintf("%s: can be opened by %s besides you, SYSTEM and Administrators; "+
		`restrict it with: icacls "%s" /inheritance:r /grant:r "%%USERNAME%%:F" *S-1-5-18:F *S-1-5-32-544:F`,
		e.Path, strings.Join(e.Others, ", "), e.Path)
}

func (e *insecureACLError) Unwrap() error { return ErrInsecureConfig }

// checkACL refuses a file whose owner is not user, SYSTEM or
// Administrators, or whose DACL grants read, write or permission rights
// to anyone else (Users, Authenticated Users, Everyone, another user…).
func checkACL(path, user string, a fileACL) error {
	trusted := map[string]bool{user: true, sidSystem: true, sidAdministrators: true}
	var others []string
	seen := map[string]bool{}
	add := func(who string) {
		if !seen[who] {
			seen[who] = true
			others = append(others, who)
		}
	}
	ownerTrusted := trusted[a.Owner]
	if !ownerTrusted {
		add("its owner " + a.Owner)
	}
	if a.NoDACL {
		add("Everyone (the file has no access list)")
	}
	for _, e := range a.Allow {
		if e.Flags&aceInheritOnly != 0 || e.Mask&accessSensitive == 0 || trusted[e.SID] {
			continue
		}
		if e.SID == sidOwnerRights && ownerTrusted {
			continue
		}
		add(e.SID)
	}
	if len(others) > 0 {
		return &insecureACLError{Path: path, Others: others}
	}
	return nil
}
