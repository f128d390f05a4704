"""The tests' own small district, independent of the demo (booking/demo/seed.py), which may grow or change.

Four bases with their venues, weekly slots and menus, seven branches in four organisations in three streets, eight lecturers and
the eight accounts (password PASSWORD). Tests that count something count what is declared here (or what they made
themselves), never the demo's figures; a few end-to-end tests load the demo itself (the `demo` fixture).
Loaded by the `world` fixture through the same loader as the demo (seed.load_catalogue).
"""
# flake8: noqa: E501

BASES = [{'name': '红星革命纪念馆',
  'type': 'red',
  'address': 'X区红星路 1 号',
  'description': '全国爱国主义教育示范基地，馆藏革命文物 2000 余件，讲述本地党组织的创建与斗争历程。',
  'contact_name': '周老师',
  'contact_phone': '021-55550101',
  'visitor_notes': '地铁 2 号线红星路站 3 号口步行约 5 分钟；团体大巴可停纪念馆东侧停车场。\n请提前 15 分钟到誓词广场集合，重温誓词请自带党旗或由基地提供。\n馆内禁止饮食，拍照请勿使用闪光灯。',
  'venues': [('主展厅', 'museum', 60), ('誓词广场', 'outdoor', 80)],
  'menu': [('重温入党誓词', 'red', '党史学习', 30, 10, 60, '誓词广场', False, '在党旗下集体重温入党誓词，由支部书记领誓。'),
           ('参观展馆：初心之路', 'red', '党史学习', 90, 5, 60, '主展厅', False, '讲解员带领参观基本陈列，了解本地党组织的创建历程。'),
           ('专题党课：红色家书里的初心', 'red', '思想政治', 60, 10, 60, '主展厅', True, '由讲师团讲师结合馆藏家书讲授专题党课。')]},
 {'name': '时代楷模事迹展览馆',
  'type': 'basic',
  'address': 'X区人民路 88 号',
  'description': '展示本区时代楷模、道德模范的先进事迹，是开展主题党日和学习先进的基础型基地。',
  'contact_name': '吴老师',
  'contact_phone': '021-55550202',
  'visitor_notes': '公交 18 路、26 路人民路站下车即到；地下停车场入口在人民路。\n报告厅可投屏，支部自备课件请提前一天发给基地联系人。',
  'venues': [('事迹展厅', 'exhibition_hall', 40), ('报告厅', 'lecture_hall', 100)],
  'menu': [('参观先进事迹展', 'culture', '文明道德', 60, 5, 40, '事迹展厅', False, '参观时代楷模事迹展。'),
           ('先进模范面对面宣讲', 'red', '思想政治', 90, 20, 100, '报告厅', True, '邀请先进模范现场宣讲。'),
           ('主题党日活动', 'practice', '思想政治', 120, 10, 100, '报告厅', False, '支部自行组织主题党日，基地提供场地。')]},
 {'name': '滨江党群服务中心',
  'type': 'welfare',
  'address': 'X区滨江大道 200 号（原国企厂房改造）',
  'description': '由闲置国企厂房改造的党群服务中心，提供志愿服务和基层治理实践活动。',
  'contact_name': '钱老师',
  'contact_phone': '021-55550303',
  'visitor_notes': '公交 9 路滨江大道站；厂区内可停车。\n志愿服务请穿便于活动的衣服，基地提供手套和工具。',
  'venues': [('多功能厅', 'service_center', 50), ('社区服务点', 'outdoor', 30)],
  'menu': [('志愿服务：社区环境整治', 'practice', '志愿服务', 120, 5, 30, '社区服务点', False, '参与社区环境整治志愿服务。'),
           ('志愿服务：关爱独居老人', 'practice', '志愿服务', 120, 5, 30, '社区服务点', False, '走访慰问社区独居老人。'),
           ('政策宣讲：基层治理新实践', 'practice', '政策普及', 60, 10, 50, '多功能厅', True, '讲解基层治理政策与案例。')]},
 {'name': '智造科技创新基地',
  'type': 'tech',
  'address': 'X区科创园 6 号楼',
  'description': '依托园区科创企业建设的科技型基地，展示前沿科技成果，开展科学知识普及。',
  'contact_name': '孙老师',
  'contact_phone': '021-55550404',
  'visitor_notes': '地铁 5 号线科创园站 1 号口；园区访客停车需提前报车牌号。\n进入园区请携带身份证件登记。',
  'venues': [('科技展厅', 'exhibition_hall', 40), ('新时代大讲堂', 'lecture_hall', 120)],
  'menu': [('参观科创成果展', 'culture', '科学知识', 60, 5, 40, '科技展厅', False, '参观园区科创成果展。'),
           ('科学知识讲座', 'culture', '科学知识', 90, 20, 120, '新时代大讲堂', True, '讲师团讲授科学知识。'),
           ('网络课程：数字党建', 'online', '实用技能', 60, 10, 120, '新时代大讲堂', True, '学习数字化党建平台的使用。')]}]

ORGANIZATIONS = [('区直机关工委', 'government', ['区财政局第一党支部', '区卫健委机关党支部', '区发改委机关党支部']),
 ('滨江街道党工委', 'community', ['滨江社区党支部', '望江社区党支部']),
 ('区城投集团党委', 'state_enterprise', ['城投建设公司党支部']),
 ('新兴产业园两新组织联合党委', 'new_organization', ['星火科技有限公司党支部'])]

LECTURERS = [('张建国', 'cadre', ['党史学习', '思想政治', '红色课程'], '区委党校退休教师，长期从事党史教学。'),
 ('李秀英', 'model', ['思想政治', '文明道德', '先进模范'], '全国道德模范，扎根社区服务三十年。'),
 ('王磊', 'grassroots', ['志愿服务', '实用技能', '实践课程'], '社区志愿服务队队长。'),
 ('陈静', 'cadre', ['政策普及', '基层治理', '思想政治'], '街道党工委干部，熟悉基层治理政策。'),
 ('刘洋', 'grassroots', ['科学知识', '科技创新', '文化课程'], '科创企业工程师，科普志愿者。'),
 ('赵敏', 'model', ['文明道德', '志愿服务'], '市级劳动模范。'),
 ('孙伟', 'cadre', ['实用技能', '网络课程', '科学知识'], '区大数据中心干部，负责数字党建平台。'),
 ('周丽', 'grassroots', ['党史学习', '文化课程'], '红色文化讲解员。')]

USERS = [('admin', '区委组织部管理员', 'admin', {}),
 ('manager', '周明（红星革命纪念馆）', 'manager', {'base': '红星革命纪念馆'}),
 ('manager2', '吴芳（时代楷模事迹展览馆）', 'manager', {'base': '时代楷模事迹展览馆'}),
 ('secretary', '王芳（区财政局第一党支部）', 'secretary', {'branch': '区财政局第一党支部'}),
 ('secretary2', '李强（滨江社区党支部）', 'secretary', {'branch': '滨江社区党支部'}),
 ('lecturer', '张建国', 'lecturer', {'lecturer': '张建国'}),
 ('lecturer2', '李秀英', 'lecturer', {'lecturer': '李秀英'}),
 ('street', '赵磊（滨江街道党工委）', 'area_admin', {'area': '滨江街道'})]

# Three streets: 滨江街道 holds secretary2's branch and the 滨江 service centre (in its community), not secretary's
# branch (the district's own offices lie directly in the district) nor the bases the managers run.
AREAS = {'root': 'X区',
         'areas': [('滨江街道', 'street'), ('滨江街道/滨江社区', 'community'), ('滨江街道/望江社区', 'community'),
                   ('红星街道', 'street'), ('红星街道/红星社区', 'community'), ('科创园街道', 'street')],
         'places': {'滨江街道党工委': '滨江街道', '新兴产业园两新组织联合党委': '科创园街道',
                    '红星革命纪念馆': '红星街道/红星社区', '滨江党群服务中心': '滨江街道/滨江社区',
                    '智造科技创新基地': '科创园街道'}}

BRANCHES = [name for _, _, names in ORGANIZATIONS for name in names]


def load() -> None:
    from booking.demo import seed
    seed.load_catalogue(BASES, ORGANIZATIONS, LECTURERS, USERS, AREAS)
