//! Global descriptor table and task-state segment, with separate interrupt stacks (IST) for the
//! exceptions that must work even when the current stack is broken: double fault, NMI and
//! machine check.
use ::x86_64::VirtAddr;
use ::x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use ::x86_64::instructions::tables::load_tss;
use ::x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use ::x86_64::structures::tss::TaskStateSegment;
use spin::Once;

/// IST slot used by the double-fault handler.
pub const DOUBLE_FAULT_IST: u16 = 0;
/// IST slot used by the NMI handler.
pub const NMI_IST: u16 = 1;
/// IST slot used by the machine-check handler.
pub const MACHINE_CHECK_IST: u16 = 2;

const IST_STACK_SIZE: usize = 32 * 1024;

#[repr(align(16))]
#[allow(dead_code)] // only the CPU reads these bytes
struct IstStack([u8; IST_STACK_SIZE]);

static mut IST_STACKS: [IstStack; 3] = [const { IstStack([0; IST_STACK_SIZE]) }; 3];

struct Tables {
    gdt: GlobalDescriptorTable,
    code: SegmentSelector,
    data: SegmentSelector,
    tss: SegmentSelector,
}

static TSS: Once<TaskStateSegment> = Once::new();
static TABLES: Once<Tables> = Once::new();

/// Builds and loads the GDT and TSS. Call once, on the boot CPU, before loading the IDT.
pub fn init() {
    let tss = TSS.call_once(|| {
        let mut tss = TaskStateSegment::new();
        for (slot, index) in [DOUBLE_FAULT_IST, NMI_IST, MACHINE_CHECK_IST].into_iter().enumerate() {
            // Only the address is taken; the stacks are used by the CPU alone, never by Rust code.
            let base = VirtAddr::from_ptr((&raw const IST_STACKS).cast::<IstStack>().wrapping_add(slot));
            tss.interrupt_stack_table[index as usize] = base + IST_STACK_SIZE as u64;
        }
        tss
    });
    let tables = TABLES.call_once(|| {
        let mut gdt = GlobalDescriptorTable::new();
        let code = gdt.append(Descriptor::kernel_code_segment());
        let data = gdt.append(Descriptor::kernel_data_segment());
        let tss = gdt.append(Descriptor::tss_segment(tss));
        Tables { gdt, code, data, tss }
    });
    tables.gdt.load();
    // SAFETY: the selectors index the GDT loaded just above, which lives in a static for the
    // kernel's whole lifetime; the TSS descriptor points at a static TSS.
    unsafe {
        CS::set_reg(tables.code);
        DS::set_reg(tables.data);
        ES::set_reg(tables.data);
        SS::set_reg(tables.data);
        load_tss(tables.tss);
    }
}
