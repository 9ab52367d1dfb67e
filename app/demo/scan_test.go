package demo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"saoma/payment/wxsim"
)

// scan POSTs to the simulator's /sim/scan like the customer page does.
func scan(ctx context.Context, simURL string, sr wxsim.ScanRequest) (map[string]string, error) {
	form := url.Values{"url": {sr.URL}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(simURL, "/")+"/sim/scan", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("scan: %s %v", resp.Status, out)
	}
	return out, nil
}
