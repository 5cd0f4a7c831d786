"""Reports and exports for officers, approvers and auditors: a registry of reports
(definitions.REPORTS), writers per format (formats), pages and downloads (views), and the dashboard."""
