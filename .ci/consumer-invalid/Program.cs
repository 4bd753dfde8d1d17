using Attention;

System.Console.WriteLine("This program must not compile: the configuration below is invalid.");

// 6 query heads cannot be split evenly over 4 key/value heads: error ATTN0006.
[Attention(HeadDim = 64, Heads = 6, KvGroups = 4)]
public static partial class InvalidGrouping;
