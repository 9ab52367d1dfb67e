package app

import "time"

// ShopZone is the name of the shop's time zone: Beijing time, the zone of
// WeChat Pay's times, of receipts and of business days.
const ShopZone = "Asia/Shanghai"

// ShopLocation is the shop's time zone — the one home for it that the
// screens, the printer and the ledger use. China has kept UTC+8 without
// daylight saving since 1991, so the fixed zone is exact where no zone
// database is installed (the kiosk binary embeds time/tzdata anyway).
func ShopLocation() *time.Location {
	if loc, err := time.LoadLocation(ShopZone); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}
