; Saoma kiosk installer for Windows 10 and later (NSIS 3, built by `make dist`
; with Debian's makensis). Per-user install: no administrator rights needed,
; the program goes to %LOCALAPPDATA%\Programs\Saoma, the config and ledger
; stay where the kiosk keeps them (%APPDATA%\Saoma, %LOCALAPPDATA%\Saoma)
; and are never removed by the uninstaller.
;
; makensis -DVERSION=v1.2.3 -DEXE=path\to\Saoma.exe -DOUTFILE=dist\... saoma.nsi

Unicode true
!include "MUI2.nsh"

!ifndef VERSION
  !define VERSION "dev"
!endif
!ifndef EXE
  !define EXE "Saoma.exe"
!endif
!ifndef OUTFILE
  !define OUTFILE "Saoma-setup.exe"
!endif

Name "Saoma ${VERSION}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\Saoma"
InstallDirRegKey HKCU "Software\Saoma" "InstallDir"
SetCompressor /SOLID lzma

!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Saoma"

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\Saoma.exe"
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"

Section "Saoma"
  SetOutPath "$INSTDIR"
  File "/oname=Saoma.exe" "${EXE}"
  WriteUninstaller "$INSTDIR\Uninstall.exe"
  WriteRegStr HKCU "Software\Saoma" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "Saoma"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "Saoma"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\Saoma.exe"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  CreateShortcut "$SMPROGRAMS\Saoma.lnk" "$INSTDIR\Saoma.exe"
  CreateShortcut "$DESKTOP\Saoma.lnk" "$INSTDIR\Saoma.exe"
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\Saoma.exe"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Saoma.lnk"
  Delete "$DESKTOP\Saoma.lnk"
  DeleteRegKey HKCU "${UNINST_KEY}"
  DeleteRegKey HKCU "Software\Saoma"
SectionEnd
