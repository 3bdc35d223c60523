window.YTD.ip_audit.part1 = [ {
  "ipAudit" : {
    "accountId" : "1700000000000000001",
    "createdAt" : "2023-12-29T08:00:00.000Z",
    "loginIp" : "198.51.100.23",
    "loginPortNumber" : "51000"
  }
} ]
