//go:build linux

package network

// routeDumpRequest and neighDumpRequest ask for every family's table.
func routeDumpRequest(seq uint32) []byte {
	return request(rtmGetRoute, nlmFRequest|nlmFDump, seq, make([]byte, rtmsgLen))
}

func neighDumpRequest(seq uint32) []byte {
	return request(rtmGetNeigh, nlmFRequest|nlmFDump, seq, make([]byte, ndmsgLen))
}

// familyRequest asks the generic netlink controller for nl80211's id.
func familyRequest(seq uint32) []byte {
	name := append([]byte(nl80211FamilyString), 0)
	body := make([]byte, genlHdrLen, genlHdrLen+4+align4(len(name)))
	body[0] = ctrlCmdGetFamily
	body[1] = 1
	body = appendAttr(body, ctrlAttrFamilyName, name)
	return request(genlIDCtrl, nlmFRequest, seq, body)
}

// wifiDumpRequest asks nl80211 for every wireless interface.
func wifiDumpRequest(family uint16, seq uint32) []byte {
	body := []byte{nl80211CmdGetIface, 0, 0, 0}
	return request(family, nlmFRequest|nlmFDump, seq, body)
}
