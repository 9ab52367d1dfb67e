package app

// DemoCatalog returns the catalog demo mode starts with: a small café-style
// shop with Chinese names, so a newcomer can sell something at once.
func DemoCatalog() []Product {
	return []Product{
		{ID: "1001", Name: "美式咖啡", Price: 1800, Category: "饮品", QRID: "P1001", Active: true},
		{ID: "1002", Name: "拿铁", Price: 2200, Category: "饮品", QRID: "P1002", Active: true},
		{ID: "1003", Name: "珍珠奶茶", Price: 1500, Category: "饮品", QRID: "P1003", Active: true},
		{ID: "1004", Name: "柠檬茶", Price: 1200, Category: "饮品", QRID: "P1004", Active: true},
		{ID: "1005", Name: "矿泉水", Price: 300, Category: "饮品", QRID: "P1005", Active: true},
		{ID: "2001", Name: "牛角面包", Price: 1000, Category: "烘焙", QRID: "P2001", Active: true},
		{ID: "2002", Name: "抹茶蛋糕", Price: 2800, Category: "烘焙", QRID: "P2002", Active: true},
		{ID: "2003", Name: "肉松小贝", Price: 850, Category: "烘焙", QRID: "P2003", Active: true},
		{ID: "3001", Name: "三明治", Price: 1650, Category: "简餐", QRID: "P3001", Active: true},
		{ID: "3002", Name: "牛肉饭", Price: 3200, Category: "简餐", QRID: "P3002", Active: true},
		{ID: "3003", Name: "鸡肉沙拉", Price: 2600, Category: "简餐", QRID: "P3003", Active: true},
		{ID: "4001", Name: "一次性餐盒", Price: 100, Category: "其他", QRID: "P4001", Active: true},
	}
}
