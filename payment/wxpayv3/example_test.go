package wxpayv3_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"time"

	"saoma/payment/wxpayv3"
)

// Example_notification shows a notification endpoint: a simulator builds
// a signed, encrypted payment notification with the WeChat-side helpers,
// and the merchant's Notifier verifies and decrypts it.
func Example_notification() {
	wechatKey, _ := wxpayv3.LoadPrivateKey(filepath.Join("testdata", "wechat_key.pem"))
	wechatPub, _ := wxpayv3.LoadPublicKey(filepath.Join("testdata", "wechat_pub.pem"))
	const keyID, apiV3Key = "PUB_KEY_ID_0119000001092026120200000001", "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
	now := time.Date(2026, 12, 2, 13, 0, 0, 0, time.FixedZone("CST", 8*3600))

	// WeChat's side (a simulator).
	platform := wxpayv3.Platform{Serial: keyID, Key: wechatKey}
	header, body, _ := platform.TransactionNotification(apiV3Key, "EV-0001", wxpayv3.Transaction{
		AppID: "wxd678efh567hg6787", MchID: "1900000109", OutTradeNo: "K1-20261202-0007",
		TransactionID: "4200001234202612021234567890", TradeType: "NATIVE", TradeState: wxpayv3.TradeSuccess,
		SuccessTime: now, Total: 1250, PayerTotal: 1250, Currency: "CNY",
	}, now)

	// The merchant's side.
	notifier, _ := wxpayv3.NewNotifier(wxpayv3.NewPublicKeyVerifier(keyID, wechatPub), apiV3Key, func() time.Time { return now })
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wxpayv3.MaxNotificationSize))
		if err != nil {
			wxpayv3.WriteNotifyFail(w, http.StatusRequestEntityTooLarge, "too large")
			return
		}
		note, err := notifier.Parse(r.Header, data)
		if err != nil {
			wxpayv3.WriteNotifyFail(w, http.StatusBadRequest, "invalid notification")
			return
		}
		tx := note.Transaction
		fmt.Println(note.EventType, tx.OutTradeNo, tx.TradeState, tx.Total, "fen")
		wxpayv3.WriteNotifyOK(w)
	})
	req := httptest.NewRequest("POST", "/wxpay/v3/notify", bytes.NewReader(body))
	req.Header = header
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println("reply", rec.Code)
	// Output:
	// TRANSACTION.SUCCESS K1-20261202-0007 SUCCESS 1250 fen
	// reply 204
}
