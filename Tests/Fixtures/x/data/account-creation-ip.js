window.YTD.account_creation_ip.part0 = [
  {
    "accountCreationIp" : {
      "accountId" : "1700000000000000001",
      "userCreationIp" : "192.0.2.44"
    }
  }
]
