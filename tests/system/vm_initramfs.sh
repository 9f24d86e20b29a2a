#!/bin/sh
# Build the guest of the vhost-user tests: an initramfs with busybox-static,
# the installed Debian kernel's virtio-net modules and an init that brings
# up eth0 (10.77.1.1/24) and eth1 (10.77.2.1/24), enables IP forwarding and
# prints GUEST-READY on the serial console.  Debian's ethtool and iperf3
# come along with the libraries ldd names (busybox has neither).  Kernel
# command line words the init reads:
#   sl_mq=N     ethtool -L ethX combined N on both NICs (multiqueue)
#   sl_mtu=N    both NICs get MTU N (jumbo frames: mergeable rx buffers)
#   sl_iperf=1  an iperf3 server runs in the guest (tools/bench/vhost.sh)
#   vm_initramfs.sh OUT.cpio.gz    prints the kernel image to boot
set -eu
out=$1
kver=$(ls /lib/modules | sort -V | tail -1)
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || { echo "vm_initramfs: no kernel $kernel (apt-get install linux-image-amd64)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "vm_initramfs: no /bin/busybox (apt-get install busybox-static)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/mods" "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
# A dynamically linked tool and what it links, at the same paths.
copy_with_libs() {
	command -v "$1" > /dev/null 2>&1 || return 0
	for f in $(command -v "$1") $(ldd "$(command -v "$1")" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
}
copy_with_libs ethtool
copy_with_libs iperf3
# virtio_net and what it needs, in load order (modules.dep gives the order).
mods=""
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover \
         net_failover virtio_net; do
	f=$(modinfo -k "$kver" -n "$m" 2>/dev/null || true)
	case "$f" in
	/*.ko) cp "$f" "$root/mods/$m.ko"; mods="$mods $m" ;;
	/*.ko.xz) xz -dc "$f" > "$root/mods/$m.ko"; mods="$mods $m" ;;
	*) ;; # built into the kernel
	esac
done
cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $mods; do insmod /mods/\$m.ko; done
ip link set lo up
for a in \$(cat /proc/cmdline); do
	case "\$a" in
	sl_mq=*) for i in eth0 eth1; do ethtool -L \$i combined \${a#sl_mq=}; done
	         ethtool -l eth0 | tail -5 | tr '\\n\\t' '  '; echo ;;
	sl_mtu=*) for i in eth0 eth1; do ip link set \$i mtu \${a#sl_mtu=}; done ;;
	sl_iperf=1) iperf3 -s -D > /dev/null 2>&1 ;;
	esac
done
ip addr add 10.77.1.1/24 dev eth0
ip addr add 10.77.2.1/24 dev eth1
ip link set eth0 up
ip link set eth1 up
echo 1 > /proc/sys/net/ipv4/ip_forward
echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter
ip -o link show eth0
echo GUEST-READY
while true; do sleep 3600; done
INIT
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
echo "$kernel"
