"""Inter-agency document exchange (liên thông văn bản): edXML packages between platforms."""
