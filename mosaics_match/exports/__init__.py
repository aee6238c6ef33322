"""What the portal writes for people to take away: CSV (one writer), reports, certificates, QR codes, badge art."""
