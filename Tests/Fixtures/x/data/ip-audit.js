window.YTD.ip_audit.part0 = [
  {
    "ipAudit" : {
      "accountId" : "1700000000000000001",
      "createdAt" : "2024-01-01T03:10:00.000Z",
      "loginIp" : "203.0.113.45",
      "loginPortNumber" : "0"
    }
  },
  {
    "ipAudit" : {
      "accountId" : "1700000000000000001",
      "createdAt" : "2023-12-30T08:00:00.000Z",
      "loginIp" : "2001:db8:5::17"
    }
  }
]
