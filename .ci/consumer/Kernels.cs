using Attention;

namespace Consumer;

// Grouped-query attention: 4 query heads over 2 key/value heads, causal.
[Attention(HeadDim = 64, Heads = 4, KvGroups = 2, Causal = true)]
public static partial class SmallGqa;
