#!/bin/sh
# Build the guest of the vhost-user tests: an initramfs with busybox-static,
# the installed Debian kernel's virtio-net modules and an init that brings
# up eth0 (10.77.1.1/24) and eth1 (10.77.2.1/24), enables IP forwarding and
# prints GUEST-READY on the serial console.
#   vm_initramfs.sh OUT.cpio.gz    prints the kernel image to boot
set -eu
out=$1
kver=$(ls /lib/modules | sort -V | tail -1)
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || { echo "vm_initramfs: no kernel $kernel (apt-get install linux-image-amd64)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "vm_initramfs: no /bin/busybox (apt-get install busybox-static)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/mods"
cp /bin/busybox "$root/bin/busybox"
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
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $mods; do insmod /mods/\$m.ko; done
ip link set lo up
ip addr add 10.77.1.1/24 dev eth0
ip addr add 10.77.2.1/24 dev eth1
ip link set eth0 up
ip link set eth1 up
echo 1 > /proc/sys/net/ipv4/ip_forward
echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter
echo GUEST-READY
while true; do sleep 3600; done
INIT
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
echo "$kernel"
