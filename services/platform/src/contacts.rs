//! "Who do I contact": the rule contracts answers `WhoToContact` with and
//! the feedback service routes items by (from its projection of the
//! contracts' contact events), written once.

use kumppani_proto::contracts::v1 as pb;

/// "Who do I contact" for one party: among the contacts of a site's customer,
/// those with the topic at the most specific scope (site > unit > customer);
/// when nobody has the topic, the party's contract-level contacts.
pub fn who_to_contact(all: &[pb::Contact], party: pb::Party, topic: pb::Topic) -> Vec<pb::Contact> {
    let specificity = |c: &pb::Contact| {
        if !c.site_id.is_empty() {
            2
        } else if !c.unit_id.is_empty() {
            1
        } else {
            0
        }
    };
    let matching: Vec<&pb::Contact> = all.iter().filter(|c| c.party == party as i32 && c.topics.contains(&(topic as i32))).collect();
    let best = matching.iter().map(|c| specificity(c)).max();
    let chosen: Vec<pb::Contact> = matching.into_iter().filter(|c| Some(specificity(c)) == best).cloned().collect();
    if !chosen.is_empty() {
        return chosen;
    }
    all.iter().filter(|c| c.party == party as i32 && c.level == pb::ContactLevel::Contract as i32).cloned().collect()
}
