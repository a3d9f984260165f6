"""Date formats shared by admin and the portal (FORMAT_MODULE_PATH): day month year and a 24-hour clock."""
