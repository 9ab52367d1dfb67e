package app

import (
	"errors"
	"testing"
)

func TestCheckACL(t *testing.T) {
	const (
		me       = "S-1-5-21-1-2-3-1001"
		other    = "S-1-5-21-1-2-3-1002"
		users    = "S-1-5-32-545"
		everyone = "S-1-1-0"
		fullCtl  = 0x1f01ff
		readOnly = 0x120089
		attrs    = 0x100080 // READ_ATTRIBUTES | SYNCHRONIZE
	)
	appData := []ace{{SID: me, Mask: fullCtl}, {SID: sidSystem, Mask: fullCtl}, {SID: sidAdministrators, Mask: fullCtl}}
	tests := []struct {
		name   string
		acl    fileACL
		secure bool
	}{
		{"a file in %APPDATA% (user, SYSTEM, Administrators) is private", fileACL{Owner: me, Allow: appData}, true},
		{"a file owned by Administrators is private", fileACL{Owner: sidAdministrators, Allow: appData}, true},
		{"Users reading the file make it insecure", fileACL{Owner: me, Allow: append(appData, ace{SID: users, Mask: readOnly})}, false},
		{"another user with full control makes it insecure", fileACL{Owner: me, Allow: []ace{{SID: other, Mask: fullCtl}}}, false},
		{"Everyone seeing only attributes keeps it private", fileACL{Owner: me, Allow: append(appData, ace{SID: everyone, Mask: attrs})}, true},
		{"GENERIC_READ for Everyone makes it insecure", fileACL{Owner: me, Allow: []ace{{SID: everyone, Mask: 0x80000000}}}, false},
		{"an inherit-only entry does not apply to the file", fileACL{Owner: me, Allow: append(appData, ace{SID: users, Mask: fullCtl, Flags: aceInheritOnly})}, true},
		{"a missing access list grants everyone everything", fileACL{Owner: me, NoDACL: true}, false},
		{"another owner makes it insecure", fileACL{Owner: other, Allow: appData}, false},
		{"OWNER RIGHTS is fine when the owner is trusted", fileACL{Owner: me, Allow: append(appData, ace{SID: sidOwnerRights, Mask: fullCtl})}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkACL(`C:\Saoma\config.toml`, me, tt.acl)
			if tt.secure {
				if err != nil {
					t.Fatalf("checkACL: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInsecureConfig) {
				t.Fatalf("checkACL error = %v, want ErrInsecureConfig", err)
			}
		})
	}
}

func TestInsecureACLErrorNamesWhoAndTheFix(t *testing.T) {
	err := checkACL(`C:\cfg.toml`, "S-1-5-21-9", fileACL{Owner: "S-1-5-21-9", Allow: []ace{{SID: "S-1-5-32-545", Mask: 0x1}}})
	got := err.Error()
	want := `C:\cfg.toml: can be opened by S-1-5-32-545 besides you, SYSTEM and Administrators; restrict it with: icacls "C:\cfg.toml" /inheritance:r /grant:r "%USERNAME%:F" *S-1-5-18:F *S-1-5-32-544:F`
	if got != want {
		t.Errorf("error =\n%s\nwant\n%s", got, want)
	}
}
